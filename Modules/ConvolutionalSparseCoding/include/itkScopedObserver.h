#ifndef itkScopedObserver_h
#define itkScopedObserver_h

#include "itkObject.h"
#include <functional>

namespace itk
{
/** \class ScopedObserver
 * \brief An observer of one event of an object, removed when the ScopedObserver leaves scope.
 *
 * A filter that observes a solver or a pursuit it was given (IterationEvent, to forward progress
 * and abort) captures its update's locals in the callback; the object outlives the update, so the
 * observer must leave with the update however it ends, exceptions included.
 *
 * \ingroup ConvolutionalSparseCoding
 */
class ScopedObserver
{
public:
  ScopedObserver(Object & object, const EventObject & event, std::function<void(const EventObject &)> callback)
    : m_Object(object)
    , m_Tag(object.AddObserver(event, std::move(callback)))
  {}
  ~ScopedObserver() { m_Object.RemoveObserver(m_Tag); }
  ScopedObserver(const ScopedObserver &) = delete;
  ScopedObserver &
  operator=(const ScopedObserver &) = delete;

private:
  Object &      m_Object;
  unsigned long m_Tag;
};
} // namespace itk

#endif
